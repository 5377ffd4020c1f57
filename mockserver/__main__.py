import sys

from mockserver._cli import main

sys.exit(main())
