/* jsonw: JSON with separators, layout and escaping decided in one place (see jsonw.h). */
#include "lib/jsonw.h"

#include <math.h>
#include <string.h>

#include "lib/isotime.h"
#include "lib/utf8text.h"

void jsonw_init(struct jsonw *w, FILE *f, enum jsonw_layout layout)
{
    memset(w, 0, sizeof(*w));
    w->f = f;
    w->first = 1;
    w->layout[0] = layout;
}

/* The separator before a member of the innermost container, then its key; 0, or -1 when the
 * writer has stopped. */
static int member(struct jsonw *w, const char *key)
{
    if (w->too_deep)
        return -1;
    enum jsonw_layout l = w->layout[w->depth];
    if (w->depth > 0) { /* the outermost value starts the text: no separator, no line break */
        if (l == JSONW_LINES)
            fprintf(w->f, "%s\n%*s", w->first ? "" : ",", 2 * w->depth, "");
        else if (!w->first)
            fputs(l == JSONW_ONE_LINE ? ", " : ",", w->f);
    }
    w->first = 0;
    if (key) {
        utf8text_json_string(w->f, key, strlen(key));
        fputs(l == JSONW_COMPACT ? ":" : ": ", w->f);
    }
    return 0;
}

static void open_container(struct jsonw *w, const char *key, char open, enum jsonw_layout layout)
{
    if (member(w, key) != 0)
        return;
    if (w->depth >= JSONW_DEPTH_MAX) {
        w->too_deep = 1;
        return;
    }
    fputc(open, w->f);
    w->depth++;
    w->layout[w->depth] = layout;
    w->close[w->depth] = open == '{' ? '}' : ']';
    w->first = 1;
}

void jsonw_object(struct jsonw *w, const char *key)
{
    open_container(w, key, '{', w->layout[w->depth]);
}

void jsonw_array(struct jsonw *w, const char *key)
{
    open_container(w, key, '[', w->layout[w->depth]);
}

void jsonw_object_layout(struct jsonw *w, const char *key, enum jsonw_layout layout)
{
    open_container(w, key, '{', layout);
}

void jsonw_array_layout(struct jsonw *w, const char *key, enum jsonw_layout layout)
{
    open_container(w, key, '[', layout);
}

void jsonw_end(struct jsonw *w)
{
    if (w->too_deep || w->depth == 0)
        return;
    if (w->layout[w->depth] == JSONW_LINES && !w->first) /* an empty one stays {} or [] */
        fprintf(w->f, "\n%*s", 2 * (w->depth - 1), "");
    fputc(w->close[w->depth], w->f);
    w->depth--;
    w->first = 0;
}

void jsonw_string(struct jsonw *w, const char *key, const char *s)
{
    if (s == NULL)
        jsonw_null(w, key);
    else
        jsonw_string_len(w, key, s, strlen(s));
}

void jsonw_string_len(struct jsonw *w, const char *key, const char *s, size_t len)
{
    if (member(w, key) == 0)
        utf8text_json_string(w->f, s, len);
}

void jsonw_long(struct jsonw *w, const char *key, long v)
{
    if (member(w, key) == 0)
        fprintf(w->f, "%ld", v);
}

void jsonw_ulong(struct jsonw *w, const char *key, unsigned long long v)
{
    if (member(w, key) == 0)
        fprintf(w->f, "%llu", v);
}

void jsonw_double(struct jsonw *w, const char *key, double v)
{
    if (!isfinite(v)) /* JSON has no inf or nan */
        jsonw_null(w, key);
    else if (member(w, key) == 0)
        fprintf(w->f, "%.15g", v);
}

void jsonw_bool(struct jsonw *w, const char *key, int v)
{
    if (member(w, key) == 0)
        fputs(v ? "true" : "false", w->f);
}

void jsonw_null(struct jsonw *w, const char *key)
{
    if (member(w, key) == 0)
        fputs("null", w->f);
}

void jsonw_time(struct jsonw *w, const char *key, time_t t)
{
    char buf[32];
    if (isotime_format(t, buf, sizeof(buf))[0] == '\0')
        jsonw_null(w, key);
    else
        jsonw_string(w, key, buf);
}

int jsonw_failed(const struct jsonw *w)
{
    return w->too_deep;
}
