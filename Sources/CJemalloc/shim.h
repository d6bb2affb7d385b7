// jemalloc (Debian libjemalloc-dev): linking it into the executable replaces malloc.
#include <jemalloc/jemalloc.h>
