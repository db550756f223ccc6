/* version.c - the version string (version.h); AR_VERSION comes from
 * CMakeLists.txt, AR_GIT_DESCRIBE from the header cmake/git_describe.cmake
 * writes at every build. */
#include "version.h"

#include "ar_git_describe.h"

#ifndef AR_VERSION
#define AR_VERSION "0"
#endif
#ifndef AR_GIT_DESCRIBE
#define AR_GIT_DESCRIBE "unknown"
#endif

const char *ar_version(void) { return "archrepair " AR_VERSION " (" AR_GIT_DESCRIBE ")"; }
