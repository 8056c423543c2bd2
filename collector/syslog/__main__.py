import sys

from collector.syslog.intake import main

sys.exit(main())
