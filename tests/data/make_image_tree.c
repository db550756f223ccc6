/* make_image_tree.c - not a test: writes the small image trees of
 * image_tree.h for the command-line tests (tests/cli/test_tinyimagenet.sh).
 *   make_image_tree tiny ROOT CLASSES TRAIN_PER_CLASS VAL SIZE
 *   make_image_tree tiny-c ROOT CLASSES PER_CLASS SEVERITIES SIZE CORRUPTION...
 * Exit status 0, or 1 with a message. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "image_tree.h"

int main(int argc, char **argv)
{
    if (argc == 7 && !strcmp(argv[1], "tiny")) {
        int size = atoi(argv[6]);
        return it_tiny(argv[2], atoi(argv[3]), atoi(argv[4]), atoi(argv[5]), size, size) ? 1 : 0;
    }
    if (argc >= 8 && !strcmp(argv[1], "tiny-c")) {
        int size = atoi(argv[6]);
        return it_tiny_c(argv[2], (const char *const *)argv + 7, argc - 7, atoi(argv[5]), atoi(argv[3]), atoi(argv[4]),
                         size, size)
                   ? 1
                   : 0;
    }
    fprintf(stderr,
            "usage: make_image_tree tiny ROOT CLASSES TRAIN_PER_CLASS VAL SIZE\n"
            "       make_image_tree tiny-c ROOT CLASSES PER_CLASS SEVERITIES SIZE CORRUPTION...\n");
    return 1;
}
