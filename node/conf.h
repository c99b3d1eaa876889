/*
 * conf.h — small `key = value` configuration files.
 *
 * A node keeps its settings in DIR/lumbung.conf, an aggregator in
 * DIR/agg.conf (`lumbung config`, `lumbung-agg config`).  Format: one
 * `key = value` per line; blank lines and lines starting with # are
 * comments; keys are [a-z0-9_.-]; the value is the rest of the line with
 * surrounding blanks removed.  A later line for the same key wins.
 * Writing keeps every other line (and comment) as it was and replaces the
 * file atomically (write to a temporary file, fsync, rename).
 */
#ifndef LB_CONF_H
#define LB_CONF_H

#include <stddef.h>

#include "../schema/err.h"

#define LB_CONF_VALUE_MAX 1024

/* Called for each setting in file order.  Return LB_OK to go on. */
typedef lb_err (*lb_conf_cb)(void *ctx, const char *key, const char *value, unsigned line,
                             struct lb_diag *d);

/* Read path.  LB_ENOTFOUND when the file does not exist; LB_EIO when it
 * cannot be read; LB_EMALFORMED "PATH line N: ..." for a line that is not
 * `key = value`, a bad key or a value over LB_CONF_VALUE_MAX bytes; or the
 * callback's error (prefixed with the file and line). */
lb_err lb_conf_read(const char *path, lb_conf_cb cb, void *ctx, struct lb_diag *d);

/* The value of key into out (n bytes).  LB_ENOTFOUND when the file or the
 * key is absent; LB_ETOOBIG when out is too small; errors of lb_conf_read. */
lb_err lb_conf_get(const char *path, const char *key, char *out, size_t n, struct lb_diag *d);

/* Set key to value (NULL: remove every line of key).  The file is created
 * 0644 when missing.  LB_EINVAL for a bad key or a value with a newline;
 * LB_EMALFORMED when the existing file is malformed (it is left alone);
 * LB_EIO / LB_EFULL when writing fails (the old file stays). */
lb_err lb_conf_set(const char *path, const char *key, const char *value, struct lb_diag *d);

#endif
