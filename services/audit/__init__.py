"""``dateline audit``: reconciles what was accepted on Kafka with what is indexed or dead-lettered."""
