revent.trigger
--summary=Disk 95% full on db-01
--source=db-01.example.com
--severity=critical
--dedup_key=db-01.example.com/disk
--component=postgresql
--group=prod-db
--custom_details={'free_bytes': 1073741824, 'mount': '/var/lib/pgsql'}
--links=[{'href': 'https://grafana.example.com/d/disk', 'text': 'Disk dashboard'}]