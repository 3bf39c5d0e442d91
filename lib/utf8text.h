/*
 * utf8text: bytes as text, strictly.  The UTF-8 sequence check and the JSON string encoding that
 * the input reader (its display of unusable lines), the --metadata record and `check --format
 * json` share, so every JSON the tool writes is valid UTF-8 whatever bytes a server sent.  Pure.
 */
#ifndef MTASTS_UTF8TEXT_H
#define MTASTS_UTF8TEXT_H

#include <stddef.h>
#include <stdio.h>

/* Length (2-4) of the valid UTF-8 sequence at s (n bytes available; no overlongs, surrogates or
 * code points above U+10FFFF), or 0. */
size_t utf8text_seq_len(const unsigned char *s, size_t n);

/* Writes s (len bytes) to f as a JSON string literal with its quotes: '"' and '\\' escaped, \n
 * and \t as such, other control bytes and DEL as \u00XX, valid UTF-8 as is, any other byte as
 * \ufffd. */
void utf8text_json_string(FILE *f, const char *s, size_t len);

#endif
