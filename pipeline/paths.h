/*
 * paths: the files one command writes and reads (a scan's outputs, --metadata, the input list,
 * --resume, --previous, --blocklist, --ca-file; diff's and merge's -o and inputs), and the one
 * check that no file written is another written file or a file read, before anything is opened.
 * Two names are the same file when they are one existing file (st_dev and st_ino, so "./a",
 * "a" and a hard link match), or, for a file that does not exist yet, the same name in the same
 * directory.  A written file also stands for its work file (NAME.partial, NAME.tmp): `-o r.csv`
 * may not read `r.csv.partial` either.  "-" (stdin, stdout) and existing files that are not
 * regular (devices, FIFOs, a terminal) never conflict: they are read and written in place and
 * nothing is replaced.
 */
#ifndef MTASTS_PATHS_H
#define MTASTS_PATHS_H

#include <stdio.h>

#define PATHS_MAX 32

enum paths_work { PATHS_READ = 0, PATHS_WRITE_PARTIAL, PATHS_WRITE_TMP };

struct paths_item {
    const char *option; /* "-o", "--resume", "INPUT": for messages */
    const char *path;
    enum paths_work kind;
};

struct paths {
    struct paths_item item[PATHS_MAX];
    int n;
};

/* Adds one path (NULL path: no-op; more than PATHS_MAX: ignored, the tables here stay far
 * below).  option and path are borrowed until paths_check(). */
void paths_add(struct paths *p, const char *option, const char *path, enum paths_work kind);

/* 1 when a and b name the same regular file, or the same not yet existing file (see above). */
int paths_same(const char *a, const char *b);

/* Checks every written path against every other path.  Returns 0, or -1 after one line on err:
 * "<prog>: A and B name the same file PATH..." naming both options. */
int paths_check(const struct paths *p, const char *prog, FILE *err);

#endif
