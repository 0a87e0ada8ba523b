/* lodge-helper: the few things lodged cannot do from Node (see README.md beside this folder). */
#ifndef LODGE_HELPER_H
#define LODGE_HELPER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Exit code of `attach` when the helper itself failed (bad arguments, container not running,
 * liblxc refused): the command never ran. 126/127 keep their shell meaning. */
#define EXIT_ATTACH_FAILED 125

int cmd_attach(int argc, char **argv);
int cmd_file(int argc, char **argv);

/* A growable byte buffer; out of memory aborts the helper (nothing sensible to do then). */
struct buf {
	char *data;
	size_t len;
	size_t cap;
};

void buf_add(struct buf *b, const char *s, size_t n);
void buf_str(struct buf *b, const char *s);
void buf_fmt(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends s as a JSON string literal. Bytes >= 0x80 pass through unchanged (a UTF-8 reader
 * replaces invalid sequences); quotes, backslashes and control characters are escaped. */
void buf_json(struct buf *b, const char *s);
void buf_free(struct buf *b);

/* Parses a whole decimal (base 10) or octal (base 8) number no larger than max; -1 on error. */
int parse_num(const char *s, int base, uint64_t max, uint64_t *out);
/* Writes all of n bytes, retrying on EINTR and short writes; -1 with errno on error. */
int write_all(int fd, const void *p, size_t n);

#endif
