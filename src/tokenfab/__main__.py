from tokenfab.cli import main

main()
