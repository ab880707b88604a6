/*
 * st2pd.h: the umbrella header. Each folder with a public interface has its
 * own header, <folder>/<folder>.h, declaring what its files define under a
 * banner naming the file; this one includes them all, in the order data
 * goes through the program, so that `#include "st2pd.h"` still gives every
 * module's interface:
 *
 *   common/common.h      errors, memory, logging, util, crypto, HTTP and
 *                        libcurl on the loop, JSON Schema, cli, metrics
 *   config/config.h      struct pd_config, its loader, key table and editor
 *   webhook/webhook.h    webhooks in: signatures, listener, receiver, send-test
 *   sensor/sensor.h      log entries in: the poller, map, watchdog, its thread
 *   spool/spool.h        the spool event and the spool, its backends' shared parts
 *   triggers/triggers.h  events out to StackStorm: catalog, payload, forwarder,
 *                        sink, register, pack
 *   actions/actions.h    StackStorm to PagerDuty: the client and the actions
 *   serve/serve.h        the daemon that runs it all
 *
 * A header includes what it needs itself, by its path from the repository
 * root ("common/common.h"), and stands on its own. Private headers (such as
 * spool/sqlite.h) are included by their folder's files only.
 */
#ifndef ST2PD_H
#define ST2PD_H

#include "common/common.h"
#include "config/config.h"
#include "webhook/webhook.h"
#include "sensor/sensor.h"
#include "spool/spool.h"
#include "triggers/triggers.h"
#include "actions/actions.h"
#include "serve/serve.h"

#endif /* ST2PD_H */
