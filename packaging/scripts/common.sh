# Shared by the .deb postinst and the .rpm %post (packaging.cmake pastes it
# into both), so the two packages tell the administrator the same thing.
PD_CONFIG=/etc/st2-pagerduty/config.yaml

# Whether systemd runs this machine: not in a chroot, an image build or a
# container without it, where systemctl must not be asked anything.
pd_systemd_running() {
	[ -d /run/systemd/system ]
}

# Whether the config can serve. When it cannot, prints what check-config
# found, what to fill in, and how to start the service once it is done.
pd_config_ready() {
	if pd_problems=$(st2-pagerduty check-config -c "$PD_CONFIG" 2>&1 >/dev/null); then
		return 0
	fi
	cat <<MSG
st2-pagerduty: the service is installed but not started, because
$PD_CONFIG is not complete yet:
$(printf '%s\n' "$pd_problems" | sed 's/^/    /')
Fill in webhook.secrets (the signing secret PagerDuty shows when you create
the webhook subscription) and st2.api_key (st2 apikey create -k -m
'{"used_by": "st2-pagerduty"}'), then check the file and start the service:
    st2-pagerduty check-config && systemctl enable --now st2-pagerduty
MSG
	return 1
}

# The message after a fresh install whose config is already complete.
pd_say_how_to_start() {
	cat <<MSG
st2-pagerduty: $PD_CONFIG is valid.
Start the service with: systemctl enable --now st2-pagerduty
MSG
}
