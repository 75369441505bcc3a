/* ref_patchify.c — Rearrange('b c (h p1) (w p2) -> b (h w) (p1 p2 c)') and
 * its inverse scatter (docs/model.md §2.1). */
#include "crate_ref.h"

typedef struct geometry {
  int C, H, W, P1, P2;
} geometry;

/* The image index patches[o] comes from: o = ((b·n + i·gw + j)·P1 + u)·P2·C +
 * v·C + c reads img[b, c, i·P1 + u, j·P2 + v]. */
static size_t image_index(size_t o, const geometry *g) {
  int gw = g->W / g->P2, n = (g->H / g->P1) * gw;
  int c = (int)(o % g->C);
  o /= g->C;
  int v = (int)(o % g->P2);
  o /= g->P2;
  int u = (int)(o % g->P1);
  o /= g->P1;
  int t = (int)(o % n);
  size_t b = o / n;
  int y = (t / gw) * g->P1 + u, x = (t % gw) * g->P2 + v;
  return ((b * g->C + c) * g->H + y) * g->W + x;
}

void ref_patchify_forward(float *out, const float *img, int B, int C, int H, int W, int P1,
                          int P2) {
  geometry g = {C, H, W, P1, P2};
  size_t count = (size_t)B * C * H * W;
  for (size_t o = 0; o < count; o++) out[o] = img[image_index(o, &g)];
}

void ref_patchify_backward(float *dimg, const float *dout, int B, int C, int H, int W, int P1,
                           int P2) {
  geometry g = {C, H, W, P1, P2};
  size_t count = (size_t)B * C * H * W;
  for (size_t o = 0; o < count; o++) dimg[image_index(o, &g)] += dout[o];
}
