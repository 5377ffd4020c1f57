import sys

from mockserver._running.cli import main

sys.exit(main())
