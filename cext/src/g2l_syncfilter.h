/* Conditional sync filter on the raw tag stream: docs/semantics.md "Conditional filter". */
#ifndef G2L_SYNCFILTER_H
#define G2L_SYNCFILTER_H

#include "g2l_common.h"

typedef struct {
    uint8_t sync_channel;
    int enable;
    int held;          /* a sync tag waits for the decision */
    uint8_t held_ch;
    int64_t held_t;
    int64_t filtered;  /* sync tags dropped since init / clear */
} g2l_sync_filter;

void g2l_sync_filter_init(g2l_sync_filter *f, uint8_t sync_channel, int enable);
/* Stream-ordered tags in, the raw stream out (room for n + 1 tags): a sync tag is passed only if
 * a tag of another channel follows it before the next sync tag; a held sync stays held across
 * calls. Disabled, every tag passes (a held sync first). Returns the number of tags written. */
int64_t g2l_sync_filter_run(g2l_sync_filter *f, const uint8_t *channel, const int64_t *time_ps, int64_t n,
                            uint8_t *out_channel, int64_t *out_time);

#endif /* G2L_SYNCFILTER_H */
