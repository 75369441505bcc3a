/* ref_patchify.c — Rearrange('b c (h p1) (w p2) -> b (h w) (p1 p2 c)') and
 * its inverse scatter (SPEC §1.1). */
#include "crate_ref.h"

/* Index of img[b, c, i·P1 + u, j·P2 + v] for patch element (u, v, c) of grid
 * cell (i, j); both directions walk the patches in output order through it. */
static size_t image_index(int b, int c, int y, int x, int C, int H, int W) {
  return (((size_t)b * C + c) * H + y) * W + x;
}

void ref_patchify_forward(float *out, const float *img, int B, int C, int H, int W, int P1,
                          int P2) {
  int gh = H / P1, gw = W / P2;
  for (int b = 0; b < B; b++)
    for (int i = 0; i < gh; i++)
      for (int j = 0; j < gw; j++)
        for (int u = 0; u < P1; u++)
          for (int v = 0; v < P2; v++)
            for (int c = 0; c < C; c++)
              *out++ = img[image_index(b, c, i * P1 + u, j * P2 + v, C, H, W)];
}

void ref_patchify_backward(float *dimg, const float *dout, int B, int C, int H, int W, int P1,
                           int P2) {
  int gh = H / P1, gw = W / P2;
  for (int b = 0; b < B; b++)
    for (int i = 0; i < gh; i++)
      for (int j = 0; j < gw; j++)
        for (int u = 0; u < P1; u++)
          for (int v = 0; v < P2; v++)
            for (int c = 0; c < C; c++)
              dimg[image_index(b, c, i * P1 + u, j * P2 + v, C, H, W)] += *dout++;
}
