/* The BLAKE2b compression function (RFC 7693), for zkgate.prover.blake2b: snarkjs stores a
 * BLAKE2b state mid-stream, which hashlib can neither export nor import, so the phase-1
 * response hash runs its whole-block loop here.  The state layout and buffering rules stay
 * in Python (zkgate/prover/blake2b.py, its pure-Python twin). */
#ifndef ZKGATE_BLAKE2B_H
#define ZKGATE_BLAKE2B_H

#include <stdint.h>
#include <string.h>

static const uint64_t ZK_B2B_IV[8] = {
    0x6a09e667f3bcc908ULL, 0xbb67ae8584caa73bULL, 0x3c6ef372fe94f82bULL, 0xa54ff53a5f1d36f1ULL,
    0x510e527fade682d1ULL, 0x9b05688c2b3e6c1fULL, 0x1f83d9abfb41bd6bULL, 0x5be0cd19137e2179ULL,
};

static const uint8_t ZK_B2B_SIGMA[12][16] = {
    {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15},
    {14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3},
    {11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4},
    {7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8},
    {9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13},
    {2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9},
    {12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11},
    {13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10},
    {6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5},
    {10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0},
    {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15},
    {14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3},
};

static inline uint64_t zk_b2b_rotr(uint64_t x, int n) { return (x >> n) | (x << (64 - n)); }

#define ZK_B2B_G(a, b, c, d, x, y)                           \
    do {                                                     \
        v[a] = v[a] + v[b] + (x); v[d] = zk_b2b_rotr(v[d] ^ v[a], 32); \
        v[c] = v[c] + v[d];       v[b] = zk_b2b_rotr(v[b] ^ v[c], 24); \
        v[a] = v[a] + v[b] + (y); v[d] = zk_b2b_rotr(v[d] ^ v[a], 16); \
        v[c] = v[c] + v[d];       v[b] = zk_b2b_rotr(v[b] ^ v[c], 63); \
    } while (0)

/* h <- F(h, block, counter (128-bit: lo, hi), last) */
static void zk_blake2b_compress(uint64_t *h, const uint8_t *block, uint64_t counter_lo, uint64_t counter_hi, int last) {
    uint64_t m[16], v[16];
    memcpy(m, block, 128); /* little-endian host (x86-64, aarch64) */
    for (int i = 0; i < 8; i++) { v[i] = h[i]; v[i + 8] = ZK_B2B_IV[i]; }
    v[12] ^= counter_lo;
    v[13] ^= counter_hi;
    if (last) v[14] = ~v[14];
    for (int r = 0; r < 12; r++) {
        const uint8_t *s = ZK_B2B_SIGMA[r];
        ZK_B2B_G(0, 4, 8, 12, m[s[0]], m[s[1]]);
        ZK_B2B_G(1, 5, 9, 13, m[s[2]], m[s[3]]);
        ZK_B2B_G(2, 6, 10, 14, m[s[4]], m[s[5]]);
        ZK_B2B_G(3, 7, 11, 15, m[s[6]], m[s[7]]);
        ZK_B2B_G(0, 5, 10, 15, m[s[8]], m[s[9]]);
        ZK_B2B_G(1, 6, 11, 12, m[s[10]], m[s[11]]);
        ZK_B2B_G(2, 7, 8, 13, m[s[12]], m[s[13]]);
        ZK_B2B_G(3, 4, 9, 14, m[s[14]], m[s[15]]);
    }
    for (int i = 0; i < 8; i++) h[i] ^= v[i] ^ v[i + 8];
}

/* nblocks whole blocks, none of them the last: *length += 128 before each (noble's counter) */
static void zk_blake2b_blocks(uint64_t *h, const uint8_t *data, size_t nblocks, uint64_t *length) {
    for (size_t i = 0; i < nblocks; i++) {
        *length += 128;
        zk_blake2b_compress(h, data + 128 * i, *length, 0, 0);
    }
}

#undef ZK_B2B_G
#endif
