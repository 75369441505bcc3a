/* Learning-rate schedules. The per-epoch cosine reproduces the official
 * main.py lambda expression for expression (including its 1e-8 guard and
 * the e/E·π order), since the rate feeds optimizer arithmetic that must
 * match PyTorch to rounding. */
#include "cratert_host.h"

#include <math.h>

int crt_schedule_check(const crt_schedule *s, crt_error *e) {
  if ((unsigned)s->kind >= CRT_SCHEDULE_KIND_COUNT)
    return crt_fail(e, "unknown schedule kind %d", (int)s->kind);
  if (!(isfinite(s->base_lr) && s->base_lr >= 0.0))
    return crt_fail(e, "learning rate must be finite and >= 0, not %g", s->base_lr);
  if (s->kind == CRT_SCHEDULE_CONSTANT) return 0;
  if (s->epochs <= 0) return crt_fail(e, "cosine schedule: epochs must be >= 1, not %lld", (long long)s->epochs);
  if (!(isfinite(s->warmup_epochs) && s->warmup_epochs >= 0) || s->warmup_steps < 0)
    return crt_fail(e, "cosine schedule: warm-up must be >= 0");
  if (!s->per_step && s->warmup_steps != 0)
    return crt_fail(e, "cosine schedule: warm-up in steps needs the per-step schedule "
                       "(the official one steps once per epoch)");
  if (!(isfinite(s->min_lr) && s->min_lr >= 0.0 && s->min_lr <= s->base_lr))
    return crt_fail(e, "cosine schedule: min_lr must lie in [0, %g], not %g", s->base_lr, s->min_lr);
  if (!s->per_step && s->min_lr != 0.0)
    return crt_fail(e, "cosine schedule: min_lr needs the per-step schedule");
  return 0;
}

/* main.py: lambda step: min((step + 1) / (warmup_steps + 1e-8),
 *                           0.5 * (math.cos(step / args.epochs * math.pi) + 1)) */
static double official_factor(int64_t epoch, double warmup, int64_t epochs) {
  double warm = (double)(epoch + 1) / (warmup + 1e-8);
  double cosine = 0.5 * (cos((double)epoch / (double)epochs * M_PI) + 1.0);
  return fmin(warm, cosine);
}

static double per_step_lr(const crt_schedule *s, int64_t t, double warmup, int64_t total) {
  double cosine = 0.5 * (cos((double)t / (double)total * M_PI) + 1.0);
  double lr = s->min_lr + (s->base_lr - s->min_lr) * cosine;
  if ((double)t < warmup) lr = fmin(lr, s->base_lr * (double)(t + 1) / warmup);
  return lr;
}

double crt_schedule_lr(const crt_schedule *s, int64_t epoch, int64_t step_in_epoch,
                       int64_t steps_per_epoch) {
  if (s->kind == CRT_SCHEDULE_CONSTANT) return s->base_lr;
  if (!s->per_step) {
    /* LambdaLR.step() runs at the end of each epoch: the rate is constant
     * within one, and the cosine ends at epoch E. */
    int64_t e = epoch < s->epochs ? epoch : s->epochs;
    return s->base_lr * official_factor(e, s->warmup_epochs, s->epochs);
  }
  int64_t total = s->epochs * steps_per_epoch;
  double warmup = s->warmup_steps ? (double)s->warmup_steps : s->warmup_epochs * (double)steps_per_epoch;
  int64_t t = epoch * steps_per_epoch + step_in_epoch;
  return per_step_lr(s, t < total ? t : total, warmup, total);
}
