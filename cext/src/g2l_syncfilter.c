/* Conditional sync filter on the raw tag stream: docs/semantics.md "Conditional filter". */
#include "g2l_syncfilter.h"

#include <string.h>

void g2l_sync_filter_init(g2l_sync_filter *f, uint8_t sync_channel, int enable) {
    memset(f, 0, sizeof(*f));
    f->sync_channel = sync_channel;
    f->enable = enable;
}

int64_t g2l_sync_filter_run(g2l_sync_filter *f, const uint8_t *channel, const int64_t *time_ps, int64_t n,
                            uint8_t *out_channel, int64_t *out_time) {
    int64_t k = 0;
    for (int64_t i = 0; i < n; i++) {
        const int is_sync = f->enable && channel[i] == f->sync_channel;
        if (is_sync) {
            if (f->held) f->filtered++; /* no other tag since that sync: drop it */
            f->held = 1;
            f->held_ch = channel[i];
            f->held_t = time_ps[i];
            continue;
        }
        if (f->held) { /* a tag follows the held sync: keep it, in stream order */
            out_channel[k] = f->held_ch;
            out_time[k++] = f->held_t;
            f->held = 0;
        }
        out_channel[k] = channel[i];
        out_time[k++] = time_ps[i];
    }
    if (!f->enable && f->held) { /* disabled: nothing is held back */
        out_channel[k] = f->held_ch;
        out_time[k++] = f->held_t;
        f->held = 0;
    }
    return k;
}
