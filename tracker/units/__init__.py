"""The directory of units: departments, communes, the office and outside bodies."""
