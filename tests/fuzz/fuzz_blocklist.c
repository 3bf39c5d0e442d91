/*
 * fuzz_blocklist: libFuzzer target for the --blocklist parser (lib/blocklist.c).  The input
 * is a whole blocklist text; every line that parses is added, then every accepted entry must
 * match itself (a name its own suffix, a prefix its own network address) and its canonical text
 * must parse again to the same entry.  Traps when an invariant breaks.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "lib/blocklist.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok)
{
    if (!ok)
        __builtin_trap();
}

static void check_entry(struct blocklist *bl, const struct blocklist_entry *e)
{
    size_t tlen = strnlen(e->text, sizeof(e->text));
    check(tlen > 0 && tlen < sizeof(e->text));
    struct blocklist_entry again;
    check(blocklist_parse_line(e->text, tlen, &again) == BLOCKLIST_OK);
    check(again.kind == e->kind && strcmp(again.text, e->text) == 0);
    if (e->kind == BLOCKLIST_DOMAIN) {
        check(blocklist_match_domain(bl, e->text) != NULL);
        return;
    }
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof(ss));
    if (e->kind == BLOCKLIST_V4) {
        check(e->prefix >= 0 && e->prefix <= 32);
        struct sockaddr_in *a = (struct sockaddr_in *)&ss;
        a->sin_family = AF_INET;
        memcpy(&a->sin_addr, e->addr, 4);
    } else {
        check(e->prefix >= 0 && e->prefix <= 128);
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
        a->sin6_family = AF_INET6;
        memcpy(&a->sin6_addr, e->addr, 16);
    }
    check(blocklist_match_addr(bl, (struct sockaddr *)&ss) != NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    struct blocklist *bl = blocklist_new();
    if (!bl)
        return 0;
    /* the whole text at once (stops at the first bad line) */
    unsigned long bad_line = 0;
    enum blocklist_status st = blocklist_add_text(bl, text, size, &bad_line);
    check((st == BLOCKLIST_OK) == (bad_line == 0));
    check(strlen(blocklist_status_str(st)) > 0);
    blocklist_free(bl);

    /* then line by line, keeping the good ones */
    bl = blocklist_new();
    if (!bl)
        return 0;
    size_t pos = 0;
    while (pos <= size) {
        const char *nl = memchr(text + pos, '\n', size - pos);
        size_t end = nl ? (size_t)(nl - text) : size;
        struct blocklist_entry e;
        if (blocklist_parse_line(text + pos, end - pos, &e) == BLOCKLIST_OK &&
            blocklist_add(bl, &e) == BLOCKLIST_OK)
            check_entry(bl, &e);
        pos = end + 1;
    }
    blocklist_free(bl);
    return 0;
}
