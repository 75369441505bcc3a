/* Random numbers: xoshiro256** with splitmix64 seeding, from the reference
 * code at https://prng.di.unimi.it/ (public domain). */
#include "cratert_host.h"

#include <math.h>

static uint64_t splitmix64(uint64_t *x) {
  uint64_t z = (*x += 0x9e3779b97f4a7c15u);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
  return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

void crt_rng_seed(crt_rng *r, uint64_t seed) {
  for (int i = 0; i < 4; i++) r->s[i] = splitmix64(&seed);
}

uint64_t crt_rng_next_u64(crt_rng *r) {
  uint64_t *s = r->s;
  uint64_t result = rotl(s[1] * 5, 7) * 9;
  uint64_t t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl(s[3], 45);
  return result;
}

float crt_rng_uniform(crt_rng *r) { return (float)(crt_rng_next_u64(r) >> 40) * 0x1p-24f; }

/* Uniform in [0, 1) with 53 bits. */
static double uniform_double(crt_rng *r) { return (double)(crt_rng_next_u64(r) >> 11) * 0x1p-53; }

float crt_rng_normal(crt_rng *r) {
  double u1 = 1.0 - uniform_double(r);   /* (0, 1]: log stays finite */
  double u2 = uniform_double(r);
  return (float)(sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2));
}

uint64_t crt_rng_below(crt_rng *r, uint64_t n) {
  if (n == 0) return 0;   /* an empty range has no uniform draw; never divide by it */
  /* The high word of x·n is uniform over [0, n) once the low word avoids
   * the 2^64 mod n values that would make some results more likely. */
  __uint128_t m = (__uint128_t)crt_rng_next_u64(r) * n;
  uint64_t low = (uint64_t)m;
  if (low < n) {
    uint64_t threshold = -n % n;
    while (low < threshold) {
      m = (__uint128_t)crt_rng_next_u64(r) * n;
      low = (uint64_t)m;
    }
  }
  return (uint64_t)(m >> 64);
}
