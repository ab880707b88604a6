/*
 * aliases.c: the pack's ChatOps aliases, one row each, which `pack` writes
 * as aliases/<name>.yaml (metadata.c, triggers/pack.c). Each names an
 * action of the table (table.c) and only parameters that action has (a
 * unit test checks).
 */
#include <stddef.h>

#include "st2pd.h"

/* clang-format off */
#define ALIAS_FAIL \
	"{% else %}\n" \
	"{% if execution.result.stderr.error is defined %}" \
	"Failed: {{ execution.result.stderr.error.message }}" \
	"{% else %}Failed: {{ execution.result.stderr }}{% endif %}\n" \
	"{% endif %}\n"
/* clang-format on */

/*
 * The original pack's ChatOps aliases. local-shell-script results live in
 * execution.result.stdout (the JSON run prints), not .result; and the
 * statuses default is written the way st2 splits alias arrays (on commas),
 * where the pack's "[triggered,acknowledged]" became "[triggered".
 */
/* clang-format off */
const struct action_alias action_aliases[] = {
    {"acknowledge_incident", "incident.acknowledge", "Acknowledge a PagerDuty incident.",
     "ack incident id {{entity_id}} from {{from_email}}",
     "{% if execution.status == \"succeeded\" %}\n"
     "Confirming {{ execution.result.stdout.incident.id }} is acknowledged\n"
     ALIAS_FAIL},
    {"find_incidents", "incident.find", "List open PagerDuty incidents.",
     "get open incidents {{statuses=triggered,acknowledged}}",
     "{% if execution.status == \"succeeded\" %}\n"
     "{% for item in execution.result.stdout %}\n"
     "{{ item.id }} is '{{ item.status }}': Title '{{ item.title }}'\n"
     "{% endfor %}\n"
     ALIAS_FAIL},
    {"launch_incident", "incident.create.events_v1", "Trigger a PagerDuty incident.",
     "create incident {{description}}",
     "{% if execution.status == \"succeeded\" %}\n"
     "Successfully triggered event with inc de-dup key: "
     "{{ execution.result.stdout.incident_key }}\n"
     ALIAS_FAIL},
    {"resolve_incident", "incident.resolve", "Resolve a PagerDuty incident.",
     "resolve incident id {{entity_id}} from {{from_email}}",
     "{% if execution.status == \"succeeded\" %}\n"
     "Confirming {{ execution.result.stdout.incident.id }} is resolved\n"
     ALIAS_FAIL},
};
/* clang-format on */
const size_t action_nalias = sizeof action_aliases / sizeof action_aliases[0];
