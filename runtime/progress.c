/* The training progress display: one live line on a terminal, plain log
 * lines elsewhere, from the same text. */
#include "cratert_host.h"

#include <math.h>
#include <string.h>
#include <unistd.h>

/* A terminal redraw costs a write; ten a second looks live. */
#define REDRAW_INTERVAL 0.1

double crt_clock(void) { return (double)crt_clock_ns() * 1e-9; }

void crt_progress_init(crt_progress *p, FILE *out, int64_t epochs, int64_t steps_per_epoch) {
  memset(p, 0, sizeof *p);
  p->out = out;
  p->live = isatty(fileno(out));
  p->epochs = epochs;
  p->steps = steps_per_epoch;
  p->log_every = steps_per_epoch / 10 > 1 ? steps_per_epoch / 10 : 1;
  p->clock = crt_clock;
}

void crt_progress_start_epoch(crt_progress *p, int64_t epoch) {
  p->epoch = epoch;
  p->step = p->images = 0;
  p->loss_sum = 0;
  p->epoch_start = p->last_draw = p->clock();
}

/* "1:02:03" or "2:03"; "?" before there is a pace to go by. */
static const char *format_duration(char *buf, size_t size, double seconds) {
  if (!isfinite(seconds) || seconds < 0) return "?";
  long s = lround(seconds), h = s / 3600, m = s / 60 % 60;
  if (h)
    snprintf(buf, size, "%ld:%02ld:%02ld", h, m, s % 60);
  else
    snprintf(buf, size, "%ld:%02ld", m, s % 60);
  return buf;
}

static void format_line(const crt_progress *p, double now, char *line, size_t size) {
  double elapsed = now - p->epoch_start;
  double rate = elapsed > 0 ? (double)p->images / elapsed : 0;
  int64_t left = (p->steps - p->step) + (p->epochs - p->epoch - 1) * p->steps;
  double eta = p->step ? elapsed / (double)p->step * (double)left : NAN;
  char eta_text[32];
  snprintf(line, size, "epoch %lld/%lld  step %lld/%lld  loss %.4f  %.1f images/s  ETA %s",
           (long long)p->epoch + 1, (long long)p->epochs, (long long)p->step,
           (long long)p->steps, p->step ? p->loss_sum / (double)p->step : 0.0, rate,
           format_duration(eta_text, sizeof eta_text, eta));
}

/* Shows the line now; ENDING finishes it (a newline on a terminal). */
static void draw(crt_progress *p, double now, const char *summary, bool ending) {
  char line[512];
  format_line(p, now, line, sizeof line);
  if (p->live) fputs("\r\033[K", p->out);   /* back to the start, clear the old text */
  fputs(line, p->out);
  if (summary) fprintf(p->out, "  %s", summary);
  if (!p->live || ending) fputc('\n', p->out);
  fflush(p->out);
  p->last_draw = now;
}

void crt_progress_step(crt_progress *p, double loss, int64_t images) {
  p->step++;
  p->images += images;
  p->loss_sum += loss;
  double now = p->clock();
  bool due = p->live ? now - p->last_draw >= REDRAW_INTERVAL || p->step == p->steps
                     : p->step % p->log_every == 0 && p->step != p->steps;
  if (due) draw(p, now, NULL, false);
}

void crt_progress_end_epoch(crt_progress *p, const char *summary) {
  draw(p, p->clock(), summary, true);
}
