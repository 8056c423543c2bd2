from collector.watch.cli import main

raise SystemExit(main())
