/* Optimizers over one flat parameter buffer, reproducing PyTorch's float32
 * arithmetic. Each kernel mirrors the tensor operations of the reference
 * implementation in the same order, because float addition is not
 * associative: (m·β1) + (1−β1)·g and m + (1−β1)·(g − m) round differently. */
#include "cratert.h"

#include <float.h>
#include <math.h>
#include <string.h>

static const char *const optimizer_names[CRT_OPT_KIND_COUNT] = {
    [CRT_OPT_SGD] = "sgd", [CRT_OPT_ADAMW] = "adamw", [CRT_OPT_LION] = "lion"};

const char *crt_optimizer_name(crt_optimizer_kind kind) {
  return (unsigned)kind < CRT_OPT_KIND_COUNT ? optimizer_names[kind] : "unknown";
}

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
 * [begin, end) of them, elements being independent of one another, and
 * returns nonzero when a value it wrote is NaN or infinite. The test rides
 * on the update's own pass (an OR of compares, no branch), because ReLU and
 * max downstream would turn NaN into finite, wrong values: a check later
 * or never would let a diverged run carry on. */
typedef struct step_job {
  float *restrict p, *restrict m, *restrict v;
  const float *restrict grad;
  const crt_optimizer_config *c;
  double lr;
  int64_t t; /* 1-based step number */
} step_job;

static inline int nonfinite(float x) { return !(fabsf(x) <= FLT_MAX); }

/* torch.optim.SGD: g += wd·p; buf = g on the first step, else
 * buf = momentum·buf + g; g = nesterov ? g + momentum·buf : buf; p -= lr·g.
 * p, g, buf (m): (n) */
static int sgd_range(const step_job *j, int64_t begin, int64_t end) {
  float *restrict p = j->p, *restrict buf = j->m;
  const float *restrict grad = j->grad;
  const float wd = (float)j->c->weight_decay, mu = (float)j->c->momentum, neg_lr = (float)-j->lr;
  const bool nesterov = j->c->nesterov, first_step = j->t == 1;
  int bad = 0;
  for (int64_t i = begin; i < end; i++) {
    float g = grad[i];
    if (wd != 0.0f) g = g + wd * p[i];
    if (buf) {
      float b = first_step ? g : buf[i] * mu + g;
      buf[i] = b;
      bad |= nonfinite(b);
      g = nesterov ? g + mu * b : b;
    }
    p[i] = p[i] + neg_lr * g;
    bad |= nonfinite(p[i]);
  }
  return bad;
}

/* torch.optim.AdamW (single-tensor path), step t (1-based):
 *   p *= 1 − lr·wd;  m.lerp_(g, 1−β1);  v = v·β2 + ((1−β2)·g)·g;
 *   denom = √v / √(1−β2^t) + eps;  p += ((−lr/(1−β1^t))·m) / denom.
 * p, g, m, v: (n) */
static int adamw_range(const step_job *j, int64_t begin, int64_t end) {
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
  int bad = 0;
  for (int64_t i = begin; i < end; i++) {
    float g = grad[i], mi = m[i];
    float param = p[i] * decay;
    mi = small_weight ? mi + w * (g - mi) : g - (g - mi) * (1.0f - w);
    float vi = v[i] * beta2 + one_minus_beta2 * g * g;
    float denom = sqrtf(vi) / bias_correction2_sqrt + eps;
    p[i] = param + neg_step_size * mi / denom;
    m[i] = mi;
    v[i] = vi;
    bad |= nonfinite(p[i]) | nonfinite(mi) | nonfinite(vi);
  }
  return bad;
}

/* lion-pytorch: p *= 1 − lr·wd; u = sign(m·β1 + (1−β1)·g) with sign(0) = 0;
 * p += −lr·u; m = m·β2 + (1−β2)·g.  p, g, m: (n) */
static int lion_range(const step_job *j, int64_t begin, int64_t end) {
  const crt_optimizer_config *c = j->c;
  float *restrict p = j->p, *restrict m = j->m;
  const float *restrict grad = j->grad;
  const float decay = (float)(1.0 - j->lr * c->weight_decay), neg_lr = (float)-j->lr;
  const float beta1 = (float)c->beta1, one_minus_beta1 = (float)(1.0 - c->beta1);
  const float beta2 = (float)c->beta2, one_minus_beta2 = (float)(1.0 - c->beta2);
  int bad = 0;
  for (int64_t i = begin; i < end; i++) {
    float g = grad[i];
    float interp = m[i] * beta1 + one_minus_beta1 * g;
    float update = (float)((interp > 0.0f) - (interp < 0.0f));   /* NaN gives 0: m must be checked */
    p[i] = p[i] * decay + neg_lr * update;
    m[i] = m[i] * beta2 + one_minus_beta2 * g;
    bad |= nonfinite(p[i]) | nonfinite(m[i]);
  }
  return bad;
}

/* Elements per thread-range item: below a few of these a hand-off costs
 * more than the update, and every range stays whole cache lines. */
#define ITEM 4096

typedef int (*update_fn)(const step_job *j, int64_t begin, int64_t end);

typedef struct item_job {
  update_fn fn;
  const step_job *step;
  int64_t n;
  _Atomic int nonfinite;
} item_job;

static void items_range(void *ctx, int64_t begin, int64_t end) {
  item_job *j = ctx;
  int64_t last = end * ITEM < j->n ? end * ITEM : j->n;
  if (j->fn(j->step, begin * ITEM, last)) j->nonfinite = 1;
}

int crt_optimizer_step(crt_optimizer *opt, float *params, const float *grads, size_t n, double lr,
                       crt_error *e) {
  const char *name = crt_optimizer_name(opt->config.kind);
  if (n != opt->count)
    return crt_fail(e, "%s: step over %zu parameters, but the state holds %zu", name, n, opt->count);
  if (!(isfinite(lr) && lr >= 0.0))
    return crt_fail(e, "%s: learning rate must be finite and >= 0, not %g", name, lr);
  static const update_fn ranges[CRT_OPT_KIND_COUNT] = {
      [CRT_OPT_SGD] = sgd_range, [CRT_OPT_ADAMW] = adamw_range, [CRT_OPT_LION] = lion_range};
  step_job step = {.p = params, .m = opt->exp_avg, .v = opt->exp_avg_sq, .grad = grads,
                   .c = &opt->config, .lr = lr, .t = opt->steps + 1};
  item_job items = {ranges[opt->config.kind], &step, (int64_t)n, 0};
  crt_parallel_for(((int64_t)n + ITEM - 1) / ITEM, items_range, &items);
  opt->steps++;
  if (items.nonfinite)
    return crt_fail(e, "%s: step %lld left parameters or optimizer state NaN or infinite", name,
                    (long long)opt->steps);
  return 0;
}
