/* Optimizers over one flat parameter buffer, reproducing PyTorch's float32
 * arithmetic. Each kernel mirrors the tensor operations of the reference
 * implementation in the same order, because float addition is not
 * associative: (m·β1) + (1−β1)·g and m + (1−β1)·(g − m) round differently. */
#include "cratert_host.h"

#include <math.h>
#include <string.h>

crt_optimizer_config crt_optimizer_defaults(crt_optimizer_kind kind) {
  crt_optimizer_config c = {.kind = kind};
  switch (kind) {
  case CRT_OPT_SGD: c.momentum = 0.9; break;
  case CRT_OPT_ADAMW: c.beta1 = 0.9, c.beta2 = 0.999, c.eps = 1e-8, c.weight_decay = 0.01; break;
  case CRT_OPT_LION: c.beta1 = 0.9, c.beta2 = 0.99; break;
  }
  return c;
}

static bool is_decay(double x) { return isfinite(x) && x >= 0.0; }
static bool is_beta(double x) { return isfinite(x) && x >= 0.0 && x < 1.0; }

static int check_config(const crt_optimizer_config *c, crt_error *e) {
  const char *name = crt_optimizer_name(c->kind);
  if ((unsigned)c->kind >= CRT_OPT_KIND_COUNT)
    return crt_fail(e, "unknown optimizer kind %d", (int)c->kind);
  if (!is_decay(c->weight_decay))
    return crt_fail(e, "%s: weight_decay must be finite and >= 0, not %g", name, c->weight_decay);
  if (c->kind == CRT_OPT_SGD) {
    if (!is_decay(c->momentum))
      return crt_fail(e, "sgd: momentum must be finite and >= 0, not %g", c->momentum);
    if (c->nesterov && c->momentum == 0.0)
      return crt_fail(e, "sgd: nesterov momentum needs momentum > 0");
    return 0;
  }
  if (!is_beta(c->beta1) || !is_beta(c->beta2))
    return crt_fail(e, "%s: betas must lie in [0, 1), not (%g, %g)", name, c->beta1, c->beta2);
  if (c->kind == CRT_OPT_ADAMW && !(isfinite(c->eps) && c->eps > 0.0))
    return crt_fail(e, "adamw: eps must be finite and > 0, not %g", c->eps);
  return 0;
}

void crt_optimizer_free(crt_optimizer *opt) {
  crt_free(opt->exp_avg);
  crt_free(opt->exp_avg_sq);
  memset(opt, 0, sizeof *opt);
}

int crt_optimizer_init(crt_optimizer *opt, const crt_optimizer_config *config, size_t count,
                       crt_error *e) {
  memset(opt, 0, sizeof *opt);
  if (check_config(config, e)) return -1;
  if (count == 0) return crt_fail(e, "%s: no parameters to optimize", crt_optimizer_name(config->kind));
  bool has_exp_avg = config->kind != CRT_OPT_SGD || config->momentum != 0.0;
  bool has_exp_avg_sq = config->kind == CRT_OPT_ADAMW;
  if (has_exp_avg && !(opt->exp_avg = crt_alloc(count * sizeof(float)))) goto oom;
  if (has_exp_avg_sq && !(opt->exp_avg_sq = crt_alloc(count * sizeof(float)))) goto oom;
  opt->config = *config;
  opt->count = count;
  return 0;
oom:
  crt_optimizer_free(opt);
  return crt_fail(e, "%s: cannot allocate state for %zu parameters", crt_optimizer_name(config->kind),
                  count);
}

/* One step's operands: each range function below updates elements
 * [begin, end) of them, elements being independent of one another. */
typedef struct step_job {
  float *restrict p, *restrict m, *restrict v;
  const float *restrict grad;
  const crt_optimizer_config *c;
  double lr;
  int64_t t; /* 1-based step number */
} step_job;

/* torch.optim.SGD: g += wd·p; buf = g on the first step, else
 * buf = momentum·buf + g; g = nesterov ? g + momentum·buf : buf; p -= lr·g.
 * p, g, buf (m): (n) */
static void sgd_range(void *ctx, int64_t begin, int64_t end) {
  const step_job *j = ctx;
  float *restrict p = j->p, *restrict buf = j->m;
  const float *restrict grad = j->grad;
  const float wd = (float)j->c->weight_decay, mu = (float)j->c->momentum, neg_lr = (float)-j->lr;
  const bool nesterov = j->c->nesterov, first_step = j->t == 1;
  for (int64_t i = begin; i < end; i++) {
    float g = grad[i];
    if (wd != 0.0f) g = g + wd * p[i];
    if (buf) {
      float b = first_step ? g : buf[i] * mu + g;
      buf[i] = b;
      g = nesterov ? g + mu * b : b;
    }
    p[i] = p[i] + neg_lr * g;
  }
}

/* torch.optim.AdamW (single-tensor path), step t (1-based):
 *   p *= 1 − lr·wd;  m.lerp_(g, 1−β1);  v = v·β2 + ((1−β2)·g)·g;
 *   denom = √v / √(1−β2^t) + eps;  p += ((−lr/(1−β1^t))·m) / denom.
 * p, g, m, v: (n) */
static void adamw_range(void *ctx, int64_t begin, int64_t end) {
  const step_job *j = ctx;
  const crt_optimizer_config *c = j->c;
  float *restrict p = j->p, *restrict m = j->m, *restrict v = j->v;
  const float *restrict grad = j->grad;
  const float decay = (float)(1.0 - j->lr * c->weight_decay);
  const float w = (float)(1.0 - c->beta1), beta2 = (float)c->beta2;
  const float one_minus_beta2 = (float)(1.0 - c->beta2), eps = (float)c->eps;
  const float bias_correction2_sqrt = (float)sqrt(1.0 - pow(c->beta2, (double)j->t));
  const float neg_step_size = (float)-(j->lr / (1.0 - pow(c->beta1, (double)j->t)));
  /* at::lerp picks the formula that is exact at its nearer end. */
  const bool small_weight = fabsf(w) < 0.5f;
  for (int64_t i = begin; i < end; i++) {
    float g = grad[i], mi = m[i];
    float param = p[i] * decay;
    mi = small_weight ? mi + w * (g - mi) : g - (g - mi) * (1.0f - w);
    float vi = v[i] * beta2 + one_minus_beta2 * g * g;
    float denom = sqrtf(vi) / bias_correction2_sqrt + eps;
    p[i] = param + neg_step_size * mi / denom;
    m[i] = mi;
    v[i] = vi;
  }
}

/* lion-pytorch: p *= 1 − lr·wd; u = sign(m·β1 + (1−β1)·g) with sign(0) = 0
 * (and sign(NaN) = 0, so a NaN gradient shows only in m);
 * p += −lr·u; m = m·β2 + (1−β2)·g.  p, g, m: (n) */
static void lion_range(void *ctx, int64_t begin, int64_t end) {
  const step_job *j = ctx;
  const crt_optimizer_config *c = j->c;
  float *restrict p = j->p, *restrict m = j->m;
  const float *restrict grad = j->grad;
  const float decay = (float)(1.0 - j->lr * c->weight_decay), neg_lr = (float)-j->lr;
  const float beta1 = (float)c->beta1, one_minus_beta1 = (float)(1.0 - c->beta1);
  const float beta2 = (float)c->beta2, one_minus_beta2 = (float)(1.0 - c->beta2);
  for (int64_t i = begin; i < end; i++) {
    float g = grad[i];
    float interp = m[i] * beta1 + one_minus_beta1 * g;
    float update = (float)((interp > 0.0f) - (interp < 0.0f));
    p[i] = p[i] * decay + neg_lr * update;
    m[i] = m[i] * beta2 + one_minus_beta2 * g;
  }
}

/* Elements per thread-range item: below a few of these a hand-off costs
 * more than the update, and every range stays whole cache lines. */
#define ITEM 4096

typedef struct item_job {
  crt_range_fn fn;
  step_job *step;
  int64_t n;
  _Atomic bool nonfinite;
} item_job;

static bool has_nonfinite(const float *x, int64_t begin, int64_t end) {
  return x && crt_find_nonfinite(x + begin, (size_t)(end - begin)) < (size_t)(end - begin);
}

/* Each range's update is followed by a finite test of what it wrote, read
 * back while it is still in cache: ReLU and max downstream would turn NaN
 * into finite, wrong values, so a test later (or never) would let a
 * diverged run carry on. */
static void items_range(void *ctx, int64_t begin, int64_t end) {
  item_job *j = ctx;
  const step_job *s = j->step;
  for (int64_t item = begin; item < end; item++) {
    int64_t first = item * ITEM, last = first + ITEM < j->n ? first + ITEM : j->n;
    j->fn(j->step, first, last);
    if (has_nonfinite(s->p, first, last) || has_nonfinite(s->m, first, last) ||
        has_nonfinite(s->v, first, last))
      j->nonfinite = true;
  }
}

int crt_optimizer_step(crt_optimizer *opt, float *params, const float *grads, size_t n, double lr,
                       crt_error *e) {
  const char *name = crt_optimizer_name(opt->config.kind);
  if (n != opt->count)
    return crt_fail(e, "%s: step over %zu parameters, but the state holds %zu", name, n, opt->count);
  if (!(isfinite(lr) && lr >= 0.0))
    return crt_fail(e, "%s: learning rate must be finite and >= 0, not %g", name, lr);
  static const crt_range_fn ranges[CRT_OPT_KIND_COUNT] = {
      [CRT_OPT_SGD] = sgd_range, [CRT_OPT_ADAMW] = adamw_range, [CRT_OPT_LION] = lion_range};
  step_job step = {.p = params, .m = opt->exp_avg, .v = opt->exp_avg_sq, .grad = grads,
                   .c = &opt->config, .lr = lr, .t = opt->steps + 1};
  item_job items = {ranges[opt->config.kind], &step, (int64_t)n, false};
  crt_parallel_for(((int64_t)n + ITEM - 1) / ITEM, items_range, &items);
  opt->steps++;
  if (items.nonfinite)
    return crt_fail(e, "%s: step %lld left parameters or optimizer state NaN or infinite", name,
                    (long long)opt->steps);
  return 0;
}
