/*
 * serve.h: `st2-pagerduty serve`, the daemon: one event loop wiring the
 * listeners, the receiver, the spool, the forwarder and the sensor
 * together, and its signals (server.c).
 */
#ifndef PD_SERVE_H
#define PD_SERVE_H

#include "common/common.h"

/* serve/server.c */
/* SIG_BLOCK or SIG_UNBLOCK serve's signals (TERM, INT, HUP); see server.c. */
void serve_mask_signals(int how);
extern const struct cli_entry cmd_serve_entry;

#endif /* PD_SERVE_H */
