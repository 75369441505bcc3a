/* The training plot: a self-contained SVG (no library), one panel per
 * quantity, epochs on the x axis. */
#include "host_train.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { PANEL_W = 440, PANEL_H = 260, MARGIN = 50, MAX_SERIES = 256 };

static const char *const colors[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd",
                                     "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};

typedef struct series {
  const char *name;
  double *y;   /* (points) */
} series;

/* One panel with its top-left corner at (OX, OY): frame, range labels,
 * a polyline (and dots, so a single epoch shows) per series, a legend. */
static void panel(FILE *f, int ox, int oy, const char *title, const double *x, int points,
                  const series *s, int count) {
  double xmin = x[0], xmax = x[0], ymin = INFINITY, ymax = -INFINITY;
  for (int i = 0; i < points; i++) {
    xmin = fmin(xmin, x[i]), xmax = fmax(xmax, x[i]);
    for (int k = 0; k < count; k++)
      if (isfinite(s[k].y[i])) ymin = fmin(ymin, s[k].y[i]), ymax = fmax(ymax, s[k].y[i]);
  }
  if (!(ymin <= ymax)) ymin = 0, ymax = 1;
  if (xmax == xmin) xmax = xmin + 1;
  if (ymax == ymin) ymax = ymin + 1;
  double w = PANEL_W - 2 * MARGIN, h = PANEL_H - 2 * MARGIN;
  fprintf(f, "<g transform=\"translate(%d,%d)\">\n", ox, oy);
  fprintf(f, "<text x=\"%d\" y=\"%d\" font-weight=\"bold\">%s</text>\n", MARGIN, MARGIN - 20, title);
  fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%g\" height=\"%g\" fill=\"none\" stroke=\"#333\"/>\n",
          MARGIN, MARGIN, w, h);
  fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%.4g</text>\n", MARGIN - 4, MARGIN + 4, ymax);
  fprintf(f, "<text x=\"%d\" y=\"%g\" text-anchor=\"end\">%.4g</text>\n", MARGIN - 4, MARGIN + h, ymin);
  fprintf(f, "<text x=\"%d\" y=\"%g\">%.4g</text>\n", MARGIN, MARGIN + h + 16, xmin);
  fprintf(f, "<text x=\"%g\" y=\"%g\" text-anchor=\"end\">%.4g (epoch)</text>\n", MARGIN + w,
          MARGIN + h + 16, xmax);
  for (int k = 0; k < count; k++) {
    const char *color = colors[k % (sizeof colors / sizeof colors[0])];
    fprintf(f, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"1.5\" points=\"", color);
    for (int i = 0; i < points; i++)
      if (isfinite(s[k].y[i]))
        fprintf(f, "%.1f,%.1f ", MARGIN + (x[i] - xmin) / (xmax - xmin) * w,
                MARGIN + (ymax - s[k].y[i]) / (ymax - ymin) * h);
    fprintf(f, "\"/>\n");
    for (int i = 0; i < points; i++)
      if (isfinite(s[k].y[i]))
        fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2\" fill=\"%s\"/>\n",
                MARGIN + (x[i] - xmin) / (xmax - xmin) * w,
                MARGIN + (ymax - s[k].y[i]) / (ymax - ymin) * h, color);
    fprintf(f, "<text x=\"%g\" y=\"%d\" fill=\"%s\">%s</text>\n", MARGIN + w + 6,
            MARGIN + 12 + 14 * k, color, s[k].name);
  }
  fprintf(f, "</g>\n");
}

/* Column K of the history: the fixed fields, then R^c and non-zero
 * fractions per layer. */
static double value(const epoch_record *r, int k, int depth) {
  const double fixed[] = {r->loss, r->test_loss, r->train_accuracy, r->test_accuracy};
  if (k < 4) return fixed[k];
  k -= 4;
  return k < depth ? r->rc[k] : r->nonzero[k - depth];
}

static void write_svg(FILE *f, const char *title, const train_history *h, double *x,
                      double *ys) {
  int n = h->count, depth = h->rates ? h->depth : 0;
  int total = 4 + 2 * depth;
  for (int i = 0; i < n; i++) {
    x[i] = h->rows[i].epoch;
    for (int k = 0; k < total; k++) ys[(size_t)k * n + i] = value(&h->rows[i], k, depth);
  }
  int panels = depth ? 4 : 2;
  fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
             "font-family=\"sans-serif\" font-size=\"11\">\n", 2 * (PANEL_W + 80),
          (panels / 2) * PANEL_H + 30);
  fprintf(f, "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n");
  fprintf(f, "<text x=\"10\" y=\"18\" font-size=\"14\">%s: training</text>\n", title);
  series s[MAX_SERIES];
  char names[MAX_SERIES][24];
  s[0] = (series){"train", ys}, s[1] = (series){"test", ys + n};
  panel(f, 0, 30, "loss", x, n, s, 2);
  s[0] = (series){"train", ys + 2 * n}, s[1] = (series){"test", ys + 3 * n};
  panel(f, PANEL_W + 80, 30, "accuracy", x, n, s, 2);
  for (int which = 0; which < 2 && depth; which++) {
    int count = depth < MAX_SERIES ? depth : MAX_SERIES;
    for (int l = 0; l < count; l++) {
      snprintf(names[l], sizeof names[l], "layer %d", l);
      s[l] = (series){names[l], ys + (size_t)(4 + which * depth + l) * n};
    }
    panel(f, which * (PANEL_W + 80), 30 + PANEL_H,
          which ? "non-zero fraction of Z(l+1)" : "coding rate R^c of layer input", x, n, s,
          count);
  }
  fprintf(f, "</svg>\n");
}

int train_plot(const char *path, const char *title, const train_history *h, crt_error *e) {
  if (!h->count) return 0;
  int total = 4 + (h->rates ? 2 * h->depth : 0);
  double *x = malloc((size_t)h->count * sizeof *x);
  double *ys = malloc((size_t)h->count * total * sizeof *ys);
  crt_output out;
  int rc = x && ys ? crt_output_open(&out, path, e) : crt_fail(e, "%s: out of memory", path);
  if (!rc) {
    write_svg(out.fp, title, h, x, ys);
    rc = crt_output_commit(&out, e);
  }
  free(x), free(ys);
  return rc;
}
