from pahna.cli import main

main()
