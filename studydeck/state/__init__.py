"""What a build leaves for the next one: every output and entries.lock written all at once or not
at all, with a journal that finishes a killed swap (write), and what the last build read and made,
to skip unchanged work (cache). Everything read back from here is untrusted input."""
