// SPDX-License-Identifier: BSD-3-Clause
/* Minimal g2live subscriber in C with libzmq, written from docs/protocol.md alone.
 *
 * Build: cc -O2 -o g2live_sub examples/subscriber.c -lzmq
 * Run:   ./g2live_sub [tcp://127.0.0.1:5555] [n_frames]
 *
 * Subscribes to `g2` and `status`; checks each message has 3 parts, schema 1, and per-topic seq
 * without gaps; prints the pair count of every histogram row and the device's lost events.
 * A real client would use a JSON library; the header is small and flat enough for strstr here.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

/* The number after "key": in a JSON object (whitespace allowed), or `dflt` when absent. */
static double json_number(const char *json, const char *key, double dflt) {
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\"", key);
    const char *p = strstr(json, pat);
    if (!p) return dflt;
    p += strlen(pat);
    while (*p == ' ' || *p == ':') p++;
    return strtod(p, NULL);
}

/* Copy the string value of "key" into out; 0 when absent. */
static int json_string(const char *json, const char *key, char *out, size_t n) {
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\"", key);
    const char *p = strstr(json, pat);
    if (!p) return 0;
    p = strchr(p + strlen(pat), '"');
    if (!p) return 0;
    const char *e = strchr(++p, '"');
    if (!e || (size_t)(e - p) >= n) return 0;
    memcpy(out, p, (size_t)(e - p));
    out[e - p] = 0;
    return 1;
}

/* The shape list [a, b, ...] of the header into dims; returns the number of dimensions. */
static int json_shape(const char *json, long *dims, int max) {
    const char *p = strstr(json, "\"shape\"");
    if (!p || !(p = strchr(p, '['))) return -1;
    int n = 0;
    p++;
    while (*p && *p != ']' && n < max) {
        char *end;
        long v = strtol(p, &end, 10);
        if (end == p) { p++; continue; }
        dims[n++] = v;
        p = end;
    }
    return n;
}

int main(int argc, char **argv) {
    const char *endpoint = argc > 1 ? argv[1] : "tcp://127.0.0.1:5555";
    long n_frames = argc > 2 ? atol(argv[2]) : 10;
    void *ctx = zmq_ctx_new();
    void *sub = zmq_socket(ctx, ZMQ_SUB);
    int timeout_ms = 10000;
    zmq_setsockopt(sub, ZMQ_RCVTIMEO, &timeout_ms, sizeof timeout_ms);
    if (zmq_connect(sub, endpoint) != 0) {
        fprintf(stderr, "connect %s: %s\n", endpoint, zmq_strerror(zmq_errno()));
        return 1;
    }
    zmq_setsockopt(sub, ZMQ_SUBSCRIBE, "g2", 2);
    zmq_setsockopt(sub, ZMQ_SUBSCRIBE, "status", 6);
    long last_seq_g2 = -1, last_seq_status = -1, seen = 0;
    int rc = 0;
    while (seen < n_frames) {
        zmq_msg_t part[3];
        int n = 0, more = 1;
        while (more) {
            zmq_msg_t m;
            zmq_msg_init(&m);
            if (zmq_msg_recv(&m, sub, 0) < 0) {
                fprintf(stderr, "no data from %s: %s\n", endpoint, zmq_strerror(zmq_errno()));
                zmq_msg_close(&m);
                rc = 1;
                goto done;
            }
            more = zmq_msg_more(&m);
            if (n < 3) part[n] = m; else zmq_msg_close(&m);
            n++;
        }
        if (n != 3) {
            fprintf(stderr, "message with %d parts ignored\n", n);
            for (int i = 0; i < (n < 3 ? n : 3); i++) zmq_msg_close(&part[i]);
            continue;
        }
        char topic[32] = {0}, dtype[8] = {0};
        size_t tl = zmq_msg_size(&part[0]);
        memcpy(topic, zmq_msg_data(&part[0]), tl < sizeof topic - 1 ? tl : sizeof topic - 1);
        size_t hl = zmq_msg_size(&part[1]);
        char *header = malloc(hl + 1);
        memcpy(header, zmq_msg_data(&part[1]), hl);
        header[hl] = 0;
        if (json_number(header, "schema", -1) != 1) {
            fprintf(stderr, "%s: unknown schema, ignored\n", topic);
        } else {
            long seq = (long)json_number(header, "seq", -1);
            long *last = strcmp(topic, "g2") == 0 ? &last_seq_g2 : &last_seq_status;
            if (*last >= 0 && seq > *last + 1) printf("%s: %ld frames lost\n", topic, seq - *last - 1);
            *last = seq;
            if (strcmp(topic, "status") == 0) {
                double lost = json_number(header, "lost_total", 0);
                if (lost > 0) printf("DEVICE LOST %.0f EVENTS\n", lost);
            } else {
                long dims[4];
                int nd = json_shape(header, dims, 4);
                json_string(header, "dtype", dtype, sizeof dtype);
                if (nd != 2 || strcmp(dtype, "<i8") != 0 ||
                    zmq_msg_size(&part[2]) != (size_t)(dims[0] * dims[1] * 8)) {
                    fprintf(stderr, "g2 frame with unexpected dtype/shape/size\n");
                    rc = 1;
                } else {
                    const int64_t *h = (const int64_t *)zmq_msg_data(&part[2]); /* little-endian host */
                    printf("g2 seq %ld run %.0f integration %.3f s:", seq, json_number(header, "run", 0),
                           json_number(header, "integration_s", 0));
                    for (long r = 0; r < dims[0]; r++) {
                        int64_t s = 0;
                        for (long k = 0; k < dims[1]; k++) s += h[r * dims[1] + k];
                        printf(" pair%ld=%lld", r, (long long)s);
                    }
                    printf("\n");
                    seen++;
                }
            }
        }
        free(header);
        for (int i = 0; i < 3; i++) zmq_msg_close(&part[i]);
    }
done:
    zmq_close(sub);
    zmq_ctx_term(ctx);
    return rc;
}
