/*
 * fuzz.h — what every fuzz target (tests/fuzz/fuzz_NAME.c) shares.
 *
 * A target defines LLVMFuzzerTestOneInput, the libFuzzer entry point.  The
 * same object is linked either with libFuzzer (`make fuzz`, clang) or with
 * replay.c (`make test`, any compiler), which feeds it every file of the
 * seed corpus tests/fuzz/corpus/NAME/.  A target must not print, must
 * accept any bytes, and must leave no state behind that changes how a
 * later input is handled (so a crash replays alone), apart from caches.
 */
#ifndef LB_FUZZ_H
#define LB_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <sodium.h>

#include "../../node/key.h"
#include "../../schema/schema.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* libsodium and the built-in schemas, once per process; aborts if they
 * cannot start (nothing a target checks would mean anything then). */
static inline void lb_fuzz_init(void)
{
	static bool ready;
	if (ready)
		return;
	if (sodium_init() < 0 || lb_schema_builtin_init(NULL) != 0)
		abort();
	ready = true;
}

/* A reference check that says every referenced record exists, so bodies
 * get past references to the rest of the validator. */
static inline bool lb_fuzz_exists(void *ctx, const char *type, const char *id, size_t id_len)
{
	(void)ctx, (void)type, (void)id;
	return id_len % 7 != 0; /* and sometimes not, for the error path */
}

/* data[0..size) as a read-only, seekable FILE (an empty input is
 * /dev/null, as fmemopen may refuse a zero length); NULL on failure. */
static inline FILE *lb_fuzz_file(const uint8_t *data, size_t size)
{
	return size ? fmemopen((void *)data, size, "rb") : fopen("/dev/null", "rb");
}

/* Where a target keeps files: $TMPDIR, else /dev/shm (memory: a disk
 * write per input is ten times slower), else /tmp. */
static inline const char *lb_fuzz_tmp(void)
{
	const char *t = getenv("TMPDIR");
	if (t && *t)
		return t;
	return access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
}

/* The fixed village key of the targets that need signatures to hold
 * (changeset, adopt) and of their seeds (gencorpus.c). */
#define LB_FUZZ_VILLAGE_SEED "lumbung fuzz village key, fixed"
static inline void lb_fuzz_village_key(struct lb_key *k)
{
	static const uint8_t seed[crypto_sign_SEEDBYTES] = LB_FUZZ_VILLAGE_SEED;
	crypto_sign_seed_keypair(k->pk, k->sk, seed);
}

#endif
