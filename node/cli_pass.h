/*
 * cli_pass.h — passphrases and key backups for the command line (CLI code
 * only: it reads the terminal and prints prompts on it).
 *
 * A passphrase comes from the first line of a file (--passphrase-file F;
 * the line break, "\n" or "\r\n", is not part of it) or is asked for on
 * the terminal (/dev/tty) with echo off.  An empty passphrase is refused;
 * one for a new backup needs LB_KEYBACKUP_PASS_MIN characters and, asked on
 * the terminal, is typed twice.
 */
#ifndef LB_CLI_PASS_H
#define LB_CLI_PASS_H

#include <stdbool.h>
#include <stddef.h>

#include "../schema/err.h"
#include "../schema/text.h"
#include "key.h"
#include "keybackup.h"

/* Read a passphrase into buf (LB_KEYBACKUP_PASS_MAX + 2 bytes at least:
 * cap) and its length into *len; NUL-terminated.  passfile NULL: ask on
 * /dev/tty (prompt "passphrase for the key backup: "; for a new backup,
 * twice).  for_new: the backup is being made (length rule, asked twice).
 * The caller wipes buf (sodium_memzero).  Errors: LB_EINVAL (empty, too
 * short for a new backup, too long, the two differ), LB_EIO (the file or
 * terminal cannot be read; no terminal: give --passphrase-file). */
lb_err lb_cli_read_pass(const char *passfile, bool for_new, char *buf, size_t cap, size_t *len,
                        struct lb_diag *d);

/* Read the key backup at path (at most LB_KEYBACKUP_TEXT_MAX bytes), the
 * passphrase (lb_cli_read_pass, not a new one) and open it into k and
 * village (lb_keybackup_open; its errors, the message starting with the
 * file's name; LB_ENOTFOUND/LB_EIO for the file, LB_ETOOBIG, and
 * lb_cli_read_pass's).  On error k and village are zeroed.  The caller
 * wipes k with lb_key_wipe.  lumbung init
 * --restore-key and lumbung restore --restore-key call this. */
lb_err lb_cli_key_from_backup(const char *path, const char *passfile, struct lb_key *k,
                              char village[LB_VILLAGE_LEN + 1], struct lb_diag *d);

#endif
