/*
 * commands.c: the list of st2-pagerduty's subcommands, in the order
 * `st2-pagerduty --help` and README show them. Each entry lives in the file
 * of its command (tmux's cmd_table); cli.c runs them.
 */
#include "st2pd.h"

const struct cli_entry *const cli_commands[] = {
    &cmd_serve_entry,
    &cmd_poll_entry,
    &cmd_register_entry,
    &cmd_pack_entry,
    &cmd_sign_entry,
    &cmd_send_test_entry,
    &cmd_check_config_entry,
    &cmd_spool_entry,
    &cmd_run_entry,
    &cmd_actions_entry,
    NULL,
};
