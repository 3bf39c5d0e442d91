/* isotime: UTC ISO 8601 text of a time_t and back (see isotime.h). */
#include "lib/isotime.h"

#include <stdio.h>
#include <string.h>

/* Fills *tm from t; 0, or -1 when t is unknown (0) or its year has no four-digit form. */
static int broken_down(time_t t, struct tm *tm)
{
    if (t == 0 || gmtime_r(&t, tm) == NULL)
        return -1;
    long year = (long)tm->tm_year + 1900;
    return year < 0 || year > 9999 ? -1 : 0;
}

/* Formats with snprintf, not strftime: glibc's %Y writes "226" for year 226, which no reader of
 * the form takes back. */
char *isotime_format(time_t t, char *buf, size_t size)
{
    struct tm tm;
    if (size == 0)
        return buf;
    buf[0] = '\0';
    if (size <= ISOTIME_LEN || broken_down(t, &tm) != 0)
        return buf;
    snprintf(buf, size, "%04ld-%02d-%02dT%02d:%02d:%02dZ", (long)tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    return buf;
}

/* The date is the first ISOTIME_DATE_LEN bytes of the full form. */
char *isotime_format_date(time_t t, char *buf, size_t size)
{
    char full[ISOTIME_LEN + 1];
    if (size == 0)
        return buf;
    buf[0] = '\0';
    if (size > ISOTIME_DATE_LEN && isotime_format(t, full, sizeof(full))[0] != '\0')
        snprintf(buf, size, "%.*s", ISOTIME_DATE_LEN, full);
    return buf;
}

/* The n-digit decimal number at s, or -1 when any of the n bytes is not a digit. */
static int digits(const char *s, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

static int days_in_month(int year, int month)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    return month == 2 && leap ? 29 : days[month - 1];
}

/* Checked by hand, not with strptime: strptime skips spaces before a number, reads "1" for %m
 * and lets timegm roll 2026-02-31 over into March, so a time could read in and write back as other
 * bytes. */
int isotime_parse(const char *s, time_t *t)
{
    if (s == NULL || strlen(s) != ISOTIME_LEN || s[4] != '-' || s[7] != '-' || s[10] != 'T' ||
        s[13] != ':' || s[16] != ':' || s[19] != 'Z')
        return -1;
    int year = digits(s, 4), mon = digits(s + 5, 2), day = digits(s + 8, 2);
    int hour = digits(s + 11, 2), min = digits(s + 14, 2), sec = digits(s + 17, 2);
    if (year < 0 || mon < 1 || mon > 12 || day < 1 || day > days_in_month(year, mon) || hour < 0 ||
        hour > 23 || min < 0 || min > 59 || sec < 0 || sec > 59)
        return -1;
    struct tm tm;
    memset(&tm, 0, sizeof(tm));
    tm.tm_year = year - 1900;
    tm.tm_mon = mon - 1;
    tm.tm_mday = day;
    tm.tm_hour = hour;
    tm.tm_min = min;
    tm.tm_sec = sec;
    time_t v = timegm(&tm);
    if (v == (time_t)-1 && !(year == 1969 && mon == 12 && day == 31 && hour == 23 && min == 59 && sec == 59))
        return -1;
    *t = v;
    return 0;
}
