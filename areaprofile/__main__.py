from areaprofile.cli import main

raise SystemExit(main())
