# git_describe.cmake - writes OUT, a header defining AR_GIT_DESCRIBE as the
# output of `git describe --always --dirty --tags` in SRC ("unknown" outside a
# git checkout). Run at every build (target ar_git_describe in
# CMakeLists.txt); the file is rewritten only when the text changes, so an
# unchanged tree recompiles nothing.
execute_process(COMMAND git describe --always --dirty --tags
                WORKING_DIRECTORY ${SRC}
                OUTPUT_VARIABLE desc OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
if(NOT desc)
  set(desc "unknown")
endif()
set(text "#define AR_GIT_DESCRIBE \"${desc}\"\n")
set(old "")
if(EXISTS ${OUT})
  file(READ ${OUT} old)
endif()
if(NOT old STREQUAL text)
  file(WRITE ${OUT} "${text}")
endif()
