// Drive the Azure Marketplace Cloud Partner Portal "Go Live" step from Pulumi: once, resumable, never posted twice.
package cppgolive
