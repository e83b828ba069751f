#ifndef LADING_TERMSAFE_H
#define LADING_TERMSAFE_H

/*
 * Text from files and the network on its way to a terminal or a log: control
 * characters (C0, DEL and the UTF-8 encoded C1 range, which some terminals obey
 * as escape sequences) must never reach it raw, or a crafted name could clear the
 * screen or forge a line such as "signer ... trusted".
 */
#include <stddef.h>
#include <stdio.h>

/* The offset of the first control character in s[0..len), or len when there is none. */
size_t termsafe_find_control(const char *s, size_t len);

/* Writes s to out with every control character written as \xNN. */
void termsafe_fputs(const char *s, FILE *out);

#endif
