/* Test guest: stateful.c plus a function that calls the host (for template tests). */
#define STATEFUL_HOST
#include "stateful.c"
