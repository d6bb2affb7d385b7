// jemalloc's options for the executable are a definition, not a declaration: see malloc_options.c.
#ifndef MERGEGUARD_MALLOC_OPTIONS_H
#define MERGEGUARD_MALLOC_OPTIONS_H
extern const char *malloc_conf;
#endif
