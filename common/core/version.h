/* version.h - the program version every binary prints (--version) and every
 * output file records: "archrepair <project version> (<git describe>)",
 * the git description taken when the binary was built ("unknown" outside a
 * git checkout). */
#ifndef AR_CORE_VERSION_H
#define AR_CORE_VERSION_H

const char *ar_version(void);

#endif
