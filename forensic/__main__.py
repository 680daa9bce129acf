from forensic._cli import main

raise SystemExit(main())
