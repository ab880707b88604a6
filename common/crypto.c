/*
 * crypto.c: the one place that touches cryptographic code. HMAC-SHA256 is
 * OpenSSL's libcrypto: its SHA-256 uses the CPU's SHA extensions where
 * there are some (2.8 us for a 1.8 KB body here, against 7.3 us for
 * libsodium's portable code, about 9% of the receiver's throughput), and
 * libcurl loads libcrypto anyway. Comparing secrets in constant time,
 * random numbers, hex and wiping are libsodium's, a named dependency.
 * Everything else calls these, so that what the program trusts to do its
 * cryptography can be read, and replaced, in one file.
 */
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sodium.h>

#include "st2pd.h"

/* Once per process, before any other call here. */
void
crypto_init(void)
{
	if (sodium_init() < 0)
		fatal("libsodium failed to initialise");
}

/* HMAC-SHA256 of data under key (its literal bytes, any length). */
void
crypto_hmac_sha256(const char *key, size_t keylen, const void *data, size_t len,
                   unsigned char mac[CRYPTO_MAC_LEN])
{
	unsigned int maclen = CRYPTO_MAC_LEN;

	if (HMAC(EVP_sha256(), key, (int)keylen, data, len, mac, &maclen) == NULL)
		fatal("HMAC-SHA256 failed");
}

/*
 * Whether two buffers of n bytes are equal, in a time that does not depend
 * on where they differ: memcmp() returns at the first differing byte, and
 * timing that over many requests lets an attacker recover a valid MAC for
 * a forged body byte by byte.
 */
int
crypto_equal(const void *a, const void *b, size_t n)
{
	return sodium_memcmp(a, b, n) == 0;
}

/* n random bytes. */
void
crypto_random(void *buf, size_t n)
{
	randombytes_buf(buf, n);
}

/* A uniformly random number in [0, upper). */
uint32_t
crypto_uniform(uint32_t upper)
{
	return randombytes_uniform(upper);
}

/* Zeroes n bytes in a way the compiler may not drop (secrets, before free). */
void
crypto_wipe(void *buf, size_t n)
{
	sodium_memzero(buf, n);
}

/* Zeroes a NUL-terminated string (NULL is fine). */
void
crypto_wipe_str(char *s)
{
	if (s != NULL)
		sodium_memzero(s, strlen(s));
}

/* Lower-case hex of n bytes into out (2n + 1 bytes, NUL-terminated). */
void
crypto_hex(char *out, size_t outlen, const unsigned char *bin, size_t n)
{
	sodium_bin2hex(out, outlen, bin, n);
}

/* SHA-1 as hex: Redis names a loaded script by it (EVALSHA); no security rests on it. */
void
crypto_sha1_hex(const void *data, size_t len, char out[41])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	if (EVP_Digest(data, len, md, &mdlen, EVP_sha1(), NULL) != 1 || mdlen != 20)
		fatal("SHA-1 failed");
	crypto_hex(out, 41, md, mdlen);
}

/* Exactly 2n hex digits (either case) into n bytes; 0, or -1 on anything else. */
int
crypto_unhex(unsigned char *bin, size_t n, const char *hex, size_t hexlen)
{
	size_t got;

	if (hexlen != 2 * n || sodium_hex2bin(bin, n, hex, hexlen, NULL, &got, NULL) != 0 ||
	    got != n)
		return -1;
	return 0;
}
