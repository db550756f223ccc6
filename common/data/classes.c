/* classes.c - standard class-name lists (from the datasets' own documentation). */
#include "classes.h"

#include <string.h>

static const char *const mnist[10] = {"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"};
static const char *const fashion[10] = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                        "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};
static const char *const cifar10[10] = {"airplane", "automobile", "bird", "cat",  "deer",
                                        "dog",      "frog",       "horse", "ship", "truck"};

const char *const *ar_classes_known(const char *family, int *n)
{
    static const struct {
        const char *family;
        const char *const *names;
    } table[] = {{"mnist", mnist}, {"fashion-mnist", fashion}, {"cifar-10", cifar10}};
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (strcmp(family, table[i].family) == 0) {
            *n = 10;
            return table[i].names;
        }
    *n = 0;
    return NULL;
}
