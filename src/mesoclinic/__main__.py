from mesoclinic.cli import main

raise SystemExit(main())
