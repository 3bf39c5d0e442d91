/*
 * dlist: doubly linked lists threaded through their nodes (the MX cache's LRU of finished jobs and
 * its live probes, a TLS worker's running jobs): push at the front and unlink in O(1), written
 * once.  Header-only macros over the list's head and the node's two link fields, so that one node
 * may sit on several lists; every argument must be an lvalue without side effects.
 */
#ifndef MTASTS_DLIST_H
#define MTASTS_DLIST_H

#include <stddef.h>

/* Puts node first on the list whose first node is head (NULL: empty). */
#define DLIST_PUSH_FRONT(head, node, prev, next) \
    do {                                         \
        (node)->prev = NULL;                     \
        (node)->next = (head);                   \
        if (head)                                \
            (head)->prev = (node);               \
        (head) = (node);                         \
    } while (0)

/* Takes node off the list whose first node is head; node's own links are left as they were. */
#define DLIST_UNLINK(head, node, prev, next)          \
    do {                                              \
        if ((node)->prev)                             \
            (node)->prev->next = (node)->next;        \
        else                                          \
            (head) = (node)->next;                    \
        if ((node)->next)                             \
            (node)->next->prev = (node)->prev;        \
    } while (0)

#endif
