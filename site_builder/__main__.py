from site_builder.build import main

raise SystemExit(main())
