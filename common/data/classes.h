/* classes.h - the standard class-name lists of the datasets the tool knows,
 * so `info` and reports can print names instead of indices. */
#ifndef AR_DATA_CLASSES_H
#define AR_DATA_CLASSES_H

/* The names of a known dataset family: "mnist", "fashion-mnist", "cifar-10".
 * Returns a static array of *n names, or NULL (n = 0) for an unknown family. */
const char *const *ar_classes_known(const char *family, int *n);

#endif
