/*
 * err.h — the one error vocabulary of lumbung.
 *
 * Every fallible function in lumbung returns an lb_err.  The numbers are
 * stable: they appear in process exit statuses, in wire error bodies and in
 * logs, so a value is never renumbered or reused; new codes are appended.
 *
 * A code says *what kind* of failure happened; the human detail (which field,
 * which seq, which file) travels in an optional struct lb_diag that the
 * caller owns.  Library code fills the diag and returns; only a program's
 * main() prints it.
 */
#ifndef LB_ERR_H
#define LB_ERR_H

#include <stddef.h>

typedef enum lb_err {
	LB_OK = 0,
	LB_EINVAL = 1,      /* a caller passed an invalid argument or option  */
	LB_ENOMEM = 2,      /* out of memory                                  */
	LB_EIO = 3,         /* a file or device operation failed              */
	LB_ENOTFOUND = 4,   /* no such record, node, key or entry             */
	LB_EEXIST = 5,      /* already exists (node dir, key file)            */
	LB_ECORRUPT = 6,    /* stored data fails an integrity check           */
	LB_EMALFORMED = 7,  /* input bytes are not in the expected encoding   */
	LB_ESCHEMA = 8,     /* a record breaks a schema rule                  */
	LB_EKEY = 9,        /* a key file is missing, unreadable or malformed */
	LB_EPERM = 10,      /* a secret key file is readable by others        */
	LB_ESIG = 11,       /* a signature does not verify                    */
	LB_ETOOBIG = 12,    /* input exceeds a size limit                     */
	LB_ESTORE = 13,     /* the LMDB store reported an error               */
	LB_EFULL = 14,      /* the disk is full                               */
	LB_EBUSY = 15,      /* resource busy (locked by another process)      */
	LB_EUNKNOWN_ORIGIN = 16, /* origin key is not enrolled                */
	LB_EWRONG_VILLAGE = 17,  /* origin key is enrolled for another village */
	LB_EGAP = 18,       /* entries do not continue the receiver's chain   */
	LB_EFORK = 19,      /* same seq, different hash: history rewritten    */
	LB_ENET = 20,       /* network failure (connect, timeout, reset)      */
	LB_EREFUSED = 21,   /* the peer refused the request                   */
	LB_EAUTH = 22,      /* no valid access token (HTTP 401)               */
	LB_EFORBIDDEN = 23, /* the token's role may not read this (HTTP 403)  */
	LB__ECOUNT
} lb_err;

/* Short English description of an error code.  Cannot fail: unknown codes
 * give "unknown error".  The returned string is static. */
const char *lb_strerror(lb_err e);

/* Stable machine name of a code ("schema", "fork", ...), used on the wire
 * and in --json output.  Static string; "unknown" for unknown codes. */
const char *lb_errname(lb_err e);

/* The code whose lb_errname() is name (len bytes, not NUL-terminated), or
 * LB__ECOUNT when there is none: how a client maps a peer's error back. */
lb_err lb_err_from_name(const char *name, size_t len);

/* The process exit status a CLI uses for an error: 0 for LB_OK, 1 for
 * "not found", otherwise 2 + code.  Keeps exit codes stable and documented. */
int lb_exit_status(lb_err e);

/*
 * Detail for the user.  Callers that want a message pass a struct lb_diag;
 * callers that do not care pass NULL everywhere.  Library functions write
 * one sentence without trailing newline, e.g.
 *   "seq 42: prev hash does not match the hash of seq 41".
 */
#define LB_DIAG_MAX 512
struct lb_diag {
	lb_err code;
	char msg[LB_DIAG_MAX];
};

/* Record an error in d (if d is not NULL) and return code, so library code
 * can write `return lb_fail(d, LB_ESCHEMA, "field %s ...", f);`.  A later
 * lb_fail overwrites the message.  Cannot fail (messages are truncated). */
lb_err lb_fail(struct lb_diag *d, lb_err code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Prefix the existing message in d with "<prefix>: " (e.g. "line 12").
 * No-op if d is NULL.  Returns nothing on purpose: the caller returns the
 * error code it already holds, which works whether or not d is NULL. */
void lb_diag_prefix(struct lb_diag *d, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* The message in d, or lb_strerror(code) when d is NULL or empty. */
const char *lb_diag_msg(const struct lb_diag *d, lb_err code);

#endif
